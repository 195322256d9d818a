#!/bin/sh
# Start the local PostgreSQL and Redis that the PostgreSQL and multi-process tests use, if they
# are not running yet, and wait until both answer. Safe to run any number of times.
set -eu

if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start || true
fi

if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
        --dir /var/lib/redis --logfile /var/log/redis/ci.log
fi

tries=0
until pg_isready -q -h 127.0.0.1 -p 5432 && redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; do
    tries=$((tries + 1))
    if [ "$tries" -ge 60 ]; then
        echo "PostgreSQL or Redis did not come up within 30s" >&2
        pg_isready -h 127.0.0.1 -p 5432 >&2 || true
        redis-cli -h 127.0.0.1 -p 6379 ping >&2 || true
        exit 1
    fi
    sleep 0.5
done
echo "PostgreSQL and Redis are up"
