"""The workspace's tests share one pytest plugin: the real broker and database isolated per run,
and the in-process service fixtures (`osame_chassis.pytest_plugin`)."""

pytest_plugins = ("osame_chassis.pytest_plugin",)
