"""Read from swagger.yml by the pipeline at generation time (pipeline/settings_module.py)."""

SERVERS: tuple[str, ...] = ("https://web-api.clerk.chat", "http://localhost:3000")
DEFAULT_BASE_URL: str | None = "https://web-api.clerk.chat"
API_KEY_LOCATION: str | None = "header"
API_KEY_NAME: str = "apiKey"
API_KEY_PREFIX: str = ""
