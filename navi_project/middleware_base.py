"""One base for Navi's HTTP middleware: sync and async alike, so async views take no thread hop per request."""

from __future__ import annotations

from asgiref.sync import iscoroutinefunction, markcoroutinefunction


class SyncAndAsyncMiddleware:
    """`process(request)` may answer in the view's place; `finish(request, response)` may replace the answer."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request):
        if self.is_async:
            return self.__acall__(request)
        refusal = self.process(request)
        return refusal if refusal is not None else self.finish(request, self.get_response(request))

    async def __acall__(self, request):
        refusal = self.process(request)
        return refusal if refusal is not None else self.finish(request, await self.get_response(request))

    def process(self, request):
        return None

    def finish(self, request, response):
        return response
