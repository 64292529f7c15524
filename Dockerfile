# One image per instance: only that instance's requirements and apps' dependencies are installed.
# Build: docker build --build-arg INSTANCE=home -t alfred-home .
FROM python:3.11-slim
ARG INSTANCE=home
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 INSTANCE=${INSTANCE} \
    DJANGO_SETTINGS_MODULE=settings.${INSTANCE} PY=/usr/local/bin/python
WORKDIR /app
COPY requirements/ requirements/
RUN pip install --no-cache-dir -r requirements/${INSTANCE}.txt
COPY . .
RUN mkdir -p var && SECRET_KEY=build DEBUG=1 python manage.py collectstatic --noinput -v0
EXPOSE 8000
CMD ["bash", "fly/start.sh"]
