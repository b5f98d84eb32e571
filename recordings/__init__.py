"""Call recordings: picking up the file the PBX wrote, checking it, storing it
and applying retention. (The recording path is registered on the call card by
``crm.call_cards`` today; checks and storage arrive with the recordings issue.)"""
