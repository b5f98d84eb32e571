"""Call recordings: the files the PBX writes, where this backend finds them
(``files``: the PBX's path mapped into ``recordings_dir``, never outside it),
and later their checks, storage and retention. (The recording path is
registered on the call card by ``crm.call_cards``.)"""
