"""``strongroom vault``: incident response on the environment's versioned, locked, replicated buckets.

Every command runs as one of the roles the stack creates (each command's help names it) and goes through
:class:`strongroom.live.aws.Aws`, which records every call: the tests prove each S3 and KMS call is allowed
by that role's policies in the plan, and that no command ever deletes an object version.

Layout in the models bucket (prefixes from :class:`components.identity.MlRolesArgs`):

* ``candidates/<model>/<version>/model.tar.gz`` (any file name): a pushed artifact, written once;
* ``candidates/<model>/<version>/manifest.json``: its signed manifest (:mod:`strongroom.vault.manifest`);
* ``production/<model>/<file>`` and ``production/<model>/manifest.json``: the promoted artifact, each
  promotion or rollback a new S3 version of the same keys (nothing is ever deleted).

``<version>`` is ``<UTC time>-<first 12 hex of the artifact's SHA-256>``
(:func:`strongroom.vault.stack.new_version`), so versions sort by time and name their content.
"""
