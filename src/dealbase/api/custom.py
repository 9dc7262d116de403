"""The API's name for the company's custom field definitions (``domain/field_defs.py``),
which its reads present values by. Values on writes are parsed by the write service
(``domain/custom_values.py``); ``domain/fields.py`` has their canonical form.
"""

from __future__ import annotations

from dealbase.domain.field_defs import Defs, defs  # noqa: F401 (the API's names for them)
