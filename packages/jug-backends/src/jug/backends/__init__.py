"""Result stores for jug (the jug-backends distribution).

* :mod:`jug.backends.file_store` — one file per result in a directory (the default; NFS-safe);
* :mod:`jug.backends.dict_store` — in memory, optionally saved to one file;
* :mod:`jug.backends.redis_store` — on a redis (or Valkey) server, for clusters without a
  shared file system (needs the ``redis`` package: ``jug-backends[redis]``);
* :mod:`jug.backends.base` — the template for writing a backend;
* :mod:`jug.backends.encode` — how results are turned into bytes.

Nothing is imported eagerly: ``import jug.backends`` costs nothing, and a store module is
imported only when it is selected (through the ``jug.backends`` entry-point group, which
names ``file``, ``dict_store`` (alias ``dict``) and ``redis`` (with ``rediss`` and ``unix``)).
"""
