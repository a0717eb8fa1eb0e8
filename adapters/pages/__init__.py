"""Pages people read: server-rendered HTML, self-contained (every style inline, nothing fetched
from anywhere), the same bytes served by the API and written by the CLI."""
