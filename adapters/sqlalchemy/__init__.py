"""One storage adapter for every SQL database Authgate supports: MySQL and MariaDB through asyncmy,
SQLite through aiosqlite. SQLAlchemy Core, not the ORM: the queries are few and hot."""
