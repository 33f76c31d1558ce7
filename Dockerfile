# One image for the web process (daphne) and the workers (`manage.py run_workers`, Celery under a
# supervisor); docker-compose.yml picks the command.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends npm gettext \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY . .
# Editable, so BASE_DIR stays /app (templates/, static/) and console scripts find the project.
RUN pip install --no-cache-dir -e . \
 && for po in locale/*/LC_MESSAGES/*.po; do msgfmt --check -o "${po%.po}.mo" "$po"; done \
 && npm ci --no-audit --no-fund --silent \
 && mkdir -p static/vendor/uplot \
 && cp node_modules/uplot/dist/uPlot.esm.js node_modules/uplot/dist/uPlot.min.css static/vendor/uplot/ \
 && mkdir -p static/vendor/dagre \
 && cp node_modules/@dagrejs/dagre/dist/dagre.esm.js node_modules/@dagrejs/dagre/LICENSE static/vendor/dagre/

EXPOSE 8000
CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", "playground.asgi:application"]
