FROM python:3.11-slim-bookworm

# WeasyPrint renders PDFs with Pango and HarfBuzz.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements/base.txt requirements/base.txt
RUN pip install --no-cache-dir -r requirements/base.txt
COPY . .
# Production storage writes the hashed manifest; the throwaway key exists only for this step.
RUN DJANGO_ENV=production ALLOWED_HOSTS=build SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(60))')" \
    python manage.py collectstatic --noinput \
    && useradd --create-home kiaa && mkdir -p /app/var/files && chown -R kiaa /app/var
USER kiaa
EXPOSE 8000
CMD ["gunicorn", "kiaa.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
