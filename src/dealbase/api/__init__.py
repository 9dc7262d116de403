"""HTTP layer: routing, auth, parameter parsing, envelopes and the v1/v2 presenters."""
