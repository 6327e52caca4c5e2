FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY service ./service
COPY templates ./templates
RUN pip install --no-cache-dir -e .
ENV MENTORMAIL_DATA_DIR=/data
VOLUME /data
CMD ["mentormail", "run"]
