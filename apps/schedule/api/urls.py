app_name = "schedule-api"
urlpatterns: list = []
