"""The browser console: server-rendered pages for the privacy officer, signed in through the party's
own key (a one-time ticket asked for by a signed request), using the same rules as the API."""
