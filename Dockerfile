# One image for the web process (daphne) and the Celery workers.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

RUN apt-get update \
    && apt-get install -y --no-install-recommends nodejs npm \
    && rm -rf /var/lib/apt/lists/*

COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt

COPY . .
# The compiled engine (docs/core-api.md); the C compiler is needed only for the build.
# Should the build fail, the engine runs as pure Python (the same results, only slower).
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev \
    && (python -m patterns.native build || true) \
    && apt-get purge -y --auto-remove gcc libc6-dev \
    && rm -rf /var/lib/apt/lists/*
RUN if [ -f package.json ]; then npm ci --no-audit --no-fund || npm install --no-audit --no-fund; fi \
    && DEBUG=true python manage.py collectstatic --noinput -v 0

RUN useradd --system --uid 10001 mscomm && chown -R mscomm /app
USER mscomm

EXPOSE 8000
# One daphne per core (WEB_PROCESSES) on the port: mscomm/webserve.py.
CMD ["python", "-m", "mscomm.webserve", "--host", "0.0.0.0", "--port", "8000"]
