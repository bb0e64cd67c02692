// placeholder until the client library lands
