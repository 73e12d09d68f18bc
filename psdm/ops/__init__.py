"""Running the site in production: the health check, request ids and
structured logs. No models; nothing here changes the apps' data."""
