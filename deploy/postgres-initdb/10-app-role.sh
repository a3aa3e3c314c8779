#!/bin/sh
# Runs once, when the postgres container initialises an empty data directory
# (docker-compose.yml mounts this folder at /docker-entrypoint-initdb.d).
# POSTGRES_USER owns the database and runs migrations; the web, worker and beat processes log
# in as APP_DB_USER, a plain role that owns nothing (so it cannot disable the goodwill ledger's
# append-only trigger). `manage.py grant_app_role` gives it its table privileges after migrate.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v app_user="$APP_DB_USER" -v app_pw="$APP_DB_PASSWORD" -v db="$POSTGRES_DB" <<'EOSQL'
CREATE ROLE :"app_user" LOGIN PASSWORD :'app_pw'
  NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
GRANT CONNECT, TEMPORARY ON DATABASE :"db" TO :"app_user";
EOSQL
