# One image for the three services; docker-compose.yml picks the service with `command`.
# Pinned to an exact release; move it on deliberately, with constraints.txt.
FROM python:3.11.10-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    GRIEVANCE_HOST=0.0.0.0 \
    GRIEVANCE_LOG_FORMAT=json

WORKDIR /app

# Dependencies first, in their own layer: it is rebuilt only when pyproject.toml or constraints.txt
# change, not on every source edit. The runtime dependencies are read from pyproject.toml and pinned
# by constraints.txt (the same versions CI tests).
COPY pyproject.toml constraints.txt ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > requirements.txt \
    && pip install -c constraints.txt -r requirements.txt \
    && rm requirements.txt

# Then the source, installed without touching the dependencies again.
COPY README.md ./
COPY shared ./shared
COPY services ./services
COPY examples ./examples
RUN pip install --no-deps . && rm -rf build *.egg-info

# Never run as root: the services need no privileges and write nothing but logs to stderr.
# /definitions is where `grievance broker-definitions` writes RabbitMQ's users (a volume in
# docker-compose.yml, which takes this directory's owner when it is first created).
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin grievance \
    && mkdir /definitions && chown grievance /definitions
USER grievance

# intake, router, escalation (GRIEVANCE_INTAKE_PORT / _ROUTER_PORT / _ESCALATION_PORT).
EXPOSE 8080 8081 8082

CMD ["python", "-m", "services.intake"]
