"""The HTTP side: health, webhooks, JSON API and staff pages (FastAPI)."""
