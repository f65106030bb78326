"""The HTTP adapter: FastAPI routes over the services, speaking API.md's contract."""
