# syntax=docker/dockerfile:1
# One image per instance from this one file: docker build --build-arg INSTANCE=biz -t alfred-biz .
# (fly/alfred-<instance>.toml passes the same build argument.)
#
# An image carries only its own instance's code. The shared part is copied in `base`; each instance's apps
# are copied in its own stage (`app-home`, `app-biz`; channels_wa in both, biz's optional WhatsApp number); the build ends on the stage INSTANCE names, so the
# other instance's apps, settings module, prompt and requirements are never copied into it. The selection
# lives in COPY lines rather than in per-instance ignore files because `fly deploy` does not read
# `<Dockerfile>.dockerignore` (only .dockerignore or `ignorefile`): a COPY line means the same to every
# builder. `.dockerignore` keeps tests, bench, .git, .env and var/ from even reaching the builder.
# `python scripts/check_scope.py home|biz` computes each image's files from this file and fails on a
# foreign one (README "Isolation" 1).
ARG INSTANCE=home

FROM python:3.11-slim AS base
ARG INSTANCE
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 INSTANCE=${INSTANCE} \
    DJANGO_SETTINGS_MODULE=settings.${INSTANCE} PY=/usr/local/bin/python
# The processes run as this user (a fixed uid, so volume and file ownership stay stable across builds).
# It owns var/ only: the code it runs is root's and read-only to it.
RUN groupadd --system --gid 10001 alfred \
 && useradd --system --uid 10001 --gid 10001 --home-dir /app/var --no-create-home --shell /usr/sbin/nologin alfred
WORKDIR /app
COPY requirements/base.txt requirements/${INSTANCE}.txt requirements/
RUN pip install --no-cache-dir -r requirements/${INSTANCE}.txt
COPY manage.py ./
COPY settings/__init__.py settings/base.py settings/celery.py settings/wsgi.py settings/${INSTANCE}.py settings/
COPY alfred/ alfred/
COPY templates/admin/ templates/admin/
COPY templates/prompts/_rules.txt templates/prompts/${INSTANCE}.txt templates/prompts/
COPY fly/start.sh fly/

FROM base AS app-home
COPY home_skills/ home_skills/
COPY channels_wa/ channels_wa/

FROM base AS app-biz
COPY work_skills/ work_skills/
COPY channels_slack/ channels_slack/
# Shared channel code, not home's: settings/biz.py installs it only when biz's own WhatsApp number is configured.
COPY channels_wa/ channels_wa/

# A stage of this file, not an image to pull: hadolint cannot tell through the variable.
# hadolint ignore=DL3006
FROM app-${INSTANCE}
# Static files and bytecode are made here, as root, so the running user never needs to write to /app.
# `python -m django` rather than manage.py: collecting files is a build step, not an instance starting, so
# the instance's start-up layers (alfred.boot) do not run; no DATABASE_URL = embedded settings, no secrets.
RUN SECRET_KEY=build-only-not-a-secret DATABASE_URL='' python -m django collectstatic --noinput -v0 \
 && python -m compileall -q /app \
 && install -d -o 10001 -g 10001 -m 0750 /app/var
USER 10001:10001
EXPOSE 8000
CMD ["bash", "fly/start.sh"]
