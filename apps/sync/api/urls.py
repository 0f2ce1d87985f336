app_name = "sync-api"
urlpatterns: list = []
