from django.http import HttpResponse


def home(request):
    return HttpResponse("征缴 Zhengjiao")
