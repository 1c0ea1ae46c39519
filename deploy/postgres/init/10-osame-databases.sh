#!/bin/sh
# Runs once, on an empty data directory, from the official postgres image's
# /docker-entrypoint-initdb.d (docker-compose mounts deploy/postgres/init there).
#
# Creates the application role `osame` and one database per service, owned by
# that role. Each service migrates its own database (schema) when it starts.
#
# OSAME_DB_PASSWORD is the application role's password (docker-compose passes
# APP_DB_PASSWORD from .env; the default is a DEV-ONLY value).
set -e

OSAME_DB_USER="${OSAME_DB_USER:-osame}"
OSAME_DB_PASSWORD="${OSAME_DB_PASSWORD:-osame-dev-only}"
OSAME_DATABASES="osame_receipts osame_refunds osame_collection osame_address_sync osame_gateway osame_console"

psql -v ON_ERROR_STOP=1 \
     --username "${POSTGRES_USER:-postgres}" --dbname postgres \
     -v app_user="${OSAME_DB_USER}" -v app_password="${OSAME_DB_PASSWORD}" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'app_user', :'app_password')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'app_user')
\gexec
SQL

for db in ${OSAME_DATABASES}; do
  psql -v ON_ERROR_STOP=1 \
       --username "${POSTGRES_USER:-postgres}" --dbname postgres \
       -v app_user="${OSAME_DB_USER}" -v db="${db}" <<'SQL'
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'app_user')
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db')
\gexec
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'db')
\gexec
SELECT format('GRANT ALL PRIVILEGES ON DATABASE %I TO %I', :'db', :'app_user')
\gexec
SQL
  # PostgreSQL 15+: the public schema is owned by pg_database_owner, i.e. the
  # app role, so migrations can create tables without further grants.
done
