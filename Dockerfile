# okr-ledger: the `okr` command (serve, project, relay, rebuild, demo).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    OKR_HOST=0.0.0.0 \
    OKR_PORT=8000 \
    OKR_DATA_DIR=/var/lib/okr

WORKDIR /app
COPY pyproject.toml README.md ./
COPY domain ./domain
COPY eventstore ./eventstore
COPY projections ./projections
COPY api ./api
COPY consumers ./consumers
COPY okr ./okr
RUN pip install . \
    && useradd --system --create-home --home-dir /var/lib/okr okr

USER okr
EXPOSE 8000
ENTRYPOINT ["okr"]
CMD ["serve"]
