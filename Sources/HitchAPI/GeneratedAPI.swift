// This target holds the code that the OpenAPIGenerator build plugin generates from openapi.yaml
// (types, the server protocol `APIProtocol`, and `Client`), at `package` access.
