#!/usr/bin/env bash
# Make sure the local RabbitMQ and PostgreSQL are up (start them if they are installed but down),
# with RabbitMQ's management plugin on (tests and the demo create per-run broker users through it).
# Used by ./osame and .ci/run. Prints what it did; exits non-zero if a service cannot be reached.
set -uo pipefail

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && exec 3>&- ; }

wait_port() {  # name port seconds
  local i
  for ((i = 0; i < $3 * 5; i++)); do port_open "$2" && return 0; sleep 0.2; done
  echo "ensure-services: $1 is not listening on 127.0.0.1:$2" >&2
  return 1
}

need_pg=1; need_rabbit=1
case "${1:-all}" in rabbitmq) need_pg=0 ;; postgres) need_rabbit=0 ;; esac

if [ "$need_pg" = 1 ] && ! port_open 5432; then
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "ensure-services: starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  fi
  wait_port PostgreSQL 5432 60 || exit 1
fi

if [ "$need_rabbit" = 1 ] && ! port_open 5672; then
  if command -v rabbitmq-server >/dev/null 2>&1; then
    echo "ensure-services: starting RabbitMQ"
    # Quorum queues reserve file handles: with the default 1024 a broker serving several test runs
    # at once stops accepting connections (its file handle cache is full). Raise the limit first.
    ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
    rabbitmq-server -detached || true
  fi
  wait_port RabbitMQ 5672 120 || exit 1
fi

# A broker started by someone else with the default 1024 open files gets a file handle *budget* of
# about 900, and every quorum queue reserves handles from it (its real descriptors stay few): with
# the queues of a few test namespaces it stops accepting connections ("no answer"), long before
# the process is short of descriptors. The limits of a running broker cannot be raised from
# outside, but its budget can: raise it to what the broker really has room for.
if [ "$need_rabbit" = 1 ] && [ "$(id -u)" = 0 ] && command -v rabbitmqctl >/dev/null 2>&1; then
  limit=$(rabbitmqctl eval 'file_handle_cache:get_limit().' 2>/dev/null | tr -dc '0-9')
  if [ -n "$limit" ] && [ "$limit" -lt 8000 ]; then
    echo "ensure-services: raising RabbitMQ's file handle budget from $limit to 8000"
    rabbitmqctl eval 'file_handle_cache:set_limit(8000).' >/dev/null 2>&1 || true
  fi
fi

if [ "$need_rabbit" = 1 ] && [ -z "${OSAME_AMQP_MANAGEMENT_URL:-}" ] && ! port_open 15672; then
  if command -v rabbitmq-plugins >/dev/null 2>&1; then
    echo "ensure-services: enabling rabbitmq_management (broker users are provisioned through it)"
    rabbitmq-plugins enable rabbitmq_management >/dev/null || true
  fi
  wait_port "RabbitMQ management API" 15672 60 || exit 1
fi
exit 0
