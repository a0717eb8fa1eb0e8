# The project's services (relay, caseload projection) for docker-compose.yml.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY domain domain
COPY application application
COPY adapters adapters
COPY projections projections
COPY consumers consumers
COPY schemas schemas
COPY scripts scripts
RUN pip install --no-cache-dir -c constraints.txt . && useradd --create-home pes && mkdir /data && chown pes /data
USER pes
ENV PES_DATA_DIR=/data
ENTRYPOINT ["pes"]
