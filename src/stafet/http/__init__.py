"""The HTTP API (``stafet serve``): FastAPI on the same Ledger and Reader as the command line.

Modules: ``settings`` (what a deployment configures), ``identity`` (bearer JWTs, the trusted
gateway header, the dev key), ``problems`` (errors as RFC 9457 problems), ``commands`` (the
writes), ``reads`` (the reads), ``feed`` (SSE and pages of events), ``app`` (``create_app``).
"""
