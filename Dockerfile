# The project's services (relay, read models, deadline process, API) for docker-compose.yml.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY domain domain
COPY application application
COPY synthetic synthetic
COPY adapters adapters
COPY api api
COPY projections projections
COPY consumers consumers
COPY schemas schemas
COPY scripts scripts
# Editable, so the code runs from /app beside schemas/, which the Avro contract loads from there.
RUN pip install --no-cache-dir -c constraints.txt -e . && useradd --create-home pes && mkdir /data && chown pes /data
USER pes
ENV PES_DATA_DIR=/data
ENTRYPOINT ["pes"]
