"""The board's URLs, included by leads/urls.py at /leads/board/, in the `leads` namespace."""

from django.urls import path

from . import board

urlpatterns = [
    path("", board.board, name="board"),
    path("column/<int:status_id>/", board.board_column, name="board_column"),
    path("move/<int:pk>/", board.board_move, name="board_move"),
]
