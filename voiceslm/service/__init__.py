"""The long-running service: the daemon, its control socket, systemd notification, the
offline guard and what it keeps on disk."""
