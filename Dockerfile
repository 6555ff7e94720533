# Broadsheet as a container: the index for the content in this repository is built into the image, so a
# container serves as soon as gunicorn binds. Run: docker build -t broadsheet . && docker run -p 8000:8000 broadsheet
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=8000

WORKDIR /app
RUN useradd --create-home --uid 10001 --user-group broadsheet \
    && install -d -o broadsheet -g broadsheet /app/index

COPY requirements.txt ./
RUN pip install -r requirements.txt

# The code and content stay root-owned (read-only to the service); only index/ belongs to its user.
COPY . .
RUN python -m compileall -q service

USER broadsheet
RUN flask --app service reindex --full

EXPOSE 8000
# /readyz is 200 once an index is open, 503 before: the platform's router waits for it.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/readyz' % os.environ.get('PORT', '8000'), timeout=4)"

# gunicorn.conf.py listens on 0.0.0.0:$PORT (PORT is set above; platforms that set their own are honoured).
ENTRYPOINT ["gunicorn", "-c", "gunicorn.conf.py"]
CMD ["service:create_app()"]
