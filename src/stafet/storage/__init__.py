"""Where the log lives: an SQLite file by default, PostgreSQL by URL."""

from stafet.storage.url import DEFAULT_DB_URL, StorageConfig, parse_db_url

__all__ = ["DEFAULT_DB_URL", "StorageConfig", "parse_db_url"]
