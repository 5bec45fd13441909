"""The benchmark scenarios of issue 6, one module per kind; each ``run(ctx)`` returns rows."""

from __future__ import annotations

from scenarios import engine, execute, hashing, memory, parallel, startup, status

# In the order of the table in the docs.
ALL = {
    "engine": engine.run,
    "execute-file": execute.run_file,
    "execute-file-tmpfs": execute.run_tmpfs,
    "execute-redis": execute.run_redis,
    "execute-signed": execute.run_signed,
    "status": status.run,
    "rerun": execute.run_rerun,
    "parallel": parallel.run,
    "hash-list": hashing.run_list,
    "hash-numpy": hashing.run_numpy,
    "startup": startup.run,
    "memory": memory.run,
}
