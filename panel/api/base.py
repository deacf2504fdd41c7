from flask_smorest import Api

from panel.api.schemas import ErrorSchema


class PanelApi(Api):
    """flask-smorest with the panel's error shape; errors are rendered by panel.core.errors."""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self):
        """The app-wide handlers of panel.core.errors answer API errors too."""
