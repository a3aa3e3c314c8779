# One image for web, worker and beat (see docker-compose.yml).
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 CSPLATFORM_ENV=production
RUN apt-get update && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core curl \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
# collectstatic connects to neither server, so it runs without DATABASE_URL / REDIS_URL;
# web, worker, beat and migrate refuse to start without them (core/checks.py). The secret is a
# throw-away for this step; the real one and the URLs arrive at run time.
RUN SECRET_KEY=build-only-$(head -c 48 /dev/urandom | base64) ALLOWED_HOSTS=build \
    python manage.py collectstatic --noinput
RUN useradd --create-home csplatform && chown -R csplatform /app
USER csplatform
EXPOSE 8000
CMD ["gunicorn", "csplatform.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
