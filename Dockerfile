FROM python:3.12-slim

WORKDIR /app
COPY pyproject.toml README.md ./
COPY domain domain
COPY application application
COPY adapters adapters
COPY entrypoints entrypoints
RUN pip install --no-cache-dir . \
    && useradd --system --home-dir /app authgate \
    && mkdir -p /app/data && chown authgate /app/data

USER authgate
ENV HOST=0.0.0.0 PORT=8080 DATA_DIR=/app/data
EXPOSE 8080
CMD ["authgate", "serve"]
