"""dealbase: a self-hosted sales CRM server that speaks the Pipedrive REST API."""

__version__ = "0.1.0"
