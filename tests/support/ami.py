"""AMI helpers for tests that run the backend against a bare AmiServer."""


async def no_channels(_session, _headers) -> list[dict[str, str]]:
    """A CoreShowChannels handler for a PBX with no live channels."""
    return [
        {"Response": "Success", "EventList": "start", "Message": "Channels will follow"},
        {"Event": "CoreShowChannelsComplete", "EventList": "Complete", "ListItems": "0"},
    ]

USER, SECRET = "callcenter", "change-me"
