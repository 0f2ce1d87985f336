app_name = "banking-api"
urlpatterns: list = []
