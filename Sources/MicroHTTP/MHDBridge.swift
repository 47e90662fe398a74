import CMicroHTTPD
import Foundation

// The one bridge from libmicrohttpd's C callbacks into Swift. Every callback
// is a plain global function; `cls` pointers carry an unretained HTTPServer
// (retained by the server itself while the daemon runs), a retained
// RequestContext per request, or a retained EventStream per stream response.

/// Per-request state kept in libmicrohttpd's `*con_cls`, touched only by the
/// thread serving that connection.
final class RequestContext {
    var body: [UInt8] = []
    var tooLarge = false
    var answered = false
    var deferred: DeferredResponse?
    /// A deferred answer is being sent on this connection: the server counts it until the request completes.
    var sendingDeferred = false
}

private final class ValueCollector {
    var values: [(name: String, value: String)] = []
}

private func collectValue(_ cls: UnsafeMutableRawPointer?, _ kind: MHD_ValueKind,
                          _ key: UnsafePointer<CChar>?, _ value: UnsafePointer<CChar>?) -> MHD_Result {
    guard let cls, let key else { return .YES }
    let collector = Unmanaged<ValueCollector>.fromOpaque(cls).takeUnretainedValue()
    collector.values.append((String(cString: key), value.map { String(cString: $0) } ?? ""))
    return .YES
}

private func connectionValues(_ connection: OpaquePointer, _ kind: MHD_ValueKind) -> [(name: String, value: String)] {
    let collector = ValueCollector()
    let ptr = Unmanaged.passUnretained(collector).toOpaque()
    _ = MHD_get_connection_values(connection, kind, collectValue, ptr)
    return withExtendedLifetime(collector) { collector.values }
}

private func clientAddress(_ connection: OpaquePointer) -> String {
    var buffer = [CChar](repeating: 0, count: 80)
    mmcu_client_address(connection, &buffer, buffer.count)
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

private func queue(_ response: HTTPResponse, on connection: OpaquePointer) -> MHD_Result {
    let mhdResponse: OpaquePointer? = response.body.withUnsafeBytes { raw in
        MHD_create_response_from_buffer(raw.count, UnsafeMutableRawPointer(mutating: raw.baseAddress),
                                        .RESPMEM_MUST_COPY)
    }
    guard let mhdResponse else { return .NO }
    for (name, value) in response.headers {
        _ = MHD_add_response_header(mhdResponse, name, value)
    }
    let result = MHD_queue_response(connection, UInt32(response.status), mhdResponse)
    MHD_destroy_response(mhdResponse)
    return result
}

private func streamReader(_ cls: UnsafeMutableRawPointer?, _ pos: UInt64,
                          _ buf: UnsafeMutablePointer<CChar>?, _ max: Int) -> Int {
    guard let cls, let buf else { return MMCU_CONTENT_END_WITH_ERROR }
    return Unmanaged<EventStream>.fromOpaque(cls).takeUnretainedValue().read(into: buf, max: max)
}

private func streamFreed(_ cls: UnsafeMutableRawPointer?) {
    guard let cls else { return }
    let stream = Unmanaged<EventStream>.fromOpaque(cls)
    stream.takeUnretainedValue().markFreed()
    stream.release()
}

private func queue(_ stream: EventStream, headers: HTTPHeaders, on connection: OpaquePointer,
                   server: HTTPServer) -> MHD_Result {
    guard server.register(stream, socket: mmcu_connection_fd(connection)) else {
        stream.markFreed()
        return queue(HTTPResponse(status: 503, contentType: "text/plain", text: "server stopping\n"), on: connection)
    }
    let handle = ConnectionHandle(raw: connection)
    stream.attach(handle)
    let retained = Unmanaged.passRetained(stream)
    guard let response = MHD_create_response_from_callback(MMCU_SIZE_UNKNOWN, 256, streamReader,
                                                           retained.toOpaque(), streamFreed) else {
        retained.release()
        stream.markFreed()
        return .NO
    }
    _ = MHD_add_response_header(response, "Content-Type", "text/event-stream")
    _ = MHD_add_response_header(response, "Cache-Control", "no-cache")
    for (name, value) in headers where name.lowercased() != "content-type" {
        _ = MHD_add_response_header(response, name, value)
    }
    mmcu_set_connection_timeout(connection, 0)
    let result = MHD_queue_response(connection, UInt32(MHD_HTTP_OK), response)
    MHD_destroy_response(response)
    return result
}

private func process(_ result: HTTPResult, context: RequestContext, connection: OpaquePointer,
                     server: HTTPServer) -> MHD_Result {
    switch result {
    case .response(let response):
        context.answered = true
        return queue(response, on: connection)
    case .stream(let stream, let headers):
        context.answered = true
        return queue(stream, headers: headers, on: connection, server: server)
    case .drop:
        context.answered = true
        return .NO
    case .deferred(let deferred):
        guard server.register(deferred) else {
            context.answered = true
            return queue(HTTPResponse(status: 503, contentType: "text/plain", text: "server stopping\n"),
                         on: connection)
        }
        if let ready = deferred.takeOrSuspend(ConnectionHandle(raw: connection)) {
            server.sending(deferred)
            context.sendingDeferred = true
            return process(ready, context: context, connection: connection, server: server)
        }
        context.deferred = deferred
        return .YES
    }
}

func mhdAccessHandler(_ cls: UnsafeMutableRawPointer?, _ connection: OpaquePointer?,
                      _ url: UnsafePointer<CChar>?, _ method: UnsafePointer<CChar>?,
                      _ version: UnsafePointer<CChar>?, _ uploadData: UnsafePointer<CChar>?,
                      _ uploadSize: UnsafeMutablePointer<Int>?,
                      _ conCls: UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> MHD_Result {
    guard let cls, let connection, let conCls, let uploadSize else { return .NO }
    let server = Unmanaged<HTTPServer>.fromOpaque(cls).takeUnretainedValue()

    if conCls.pointee == mmcu_too_many_params() {
        let context = RequestContext()
        conCls.pointee = Unmanaged.passRetained(context).toOpaque()
        context.answered = true
        return queue(HTTPResponse(status: 414, contentType: "text/plain",
                                  text: "query too large: more than \(server.configuration.maxQueryParameters) parameters, "
                                      + "or more than the connection memory (\(server.configuration.connectionMemoryLimit) bytes) holds\n"),
                     on: connection)
    }
    guard let raw = conCls.pointee else {
        let context = RequestContext()
        conCls.pointee = Unmanaged.passRetained(context).toOpaque()
        if let length = MHD_lookup_connection_value(connection, .HEADER_KIND, "Content-Length"),
           let n = Int(String(cString: length)), n > server.configuration.maxBodySize {
            context.tooLarge = true
            context.answered = true
            return queue(tooLarge(server), on: connection)
        }
        return .YES
    }
    let context = Unmanaged<RequestContext>.fromOpaque(raw).takeUnretainedValue()

    if let deferred = context.deferred {
        guard let ready = deferred.takeOrSuspend(ConnectionHandle(raw: connection)) else { return .YES }
        context.deferred = nil
        server.sending(deferred)
        context.sendingDeferred = true
        return process(ready, context: context, connection: connection, server: server)
    }
    if context.answered {
        uploadSize.pointee = 0
        return .YES
    }
    if uploadSize.pointee > 0 {
        let n = uploadSize.pointee
        if context.body.count + n > server.configuration.maxBodySize {
            context.tooLarge = true
        } else if let uploadData {
            uploadData.withMemoryRebound(to: UInt8.self, capacity: n) { p in
                context.body.append(contentsOf: UnsafeBufferPointer(start: p, count: n))
            }
        }
        uploadSize.pointee = 0
        return .YES
    }
    if context.tooLarge {
        context.answered = true
        return queue(tooLarge(server), on: connection)
    }
    let request = HTTPRequest(
        method: method.map { String(cString: $0) } ?? "GET",
        path: url.map { String(cString: $0) } ?? "/",
        query: connectionValues(connection, .GET_ARGUMENT_KIND),
        headers: HTTPHeaders(connectionValues(connection, .HEADER_KIND)),
        body: context.body,
        remoteAddress: clientAddress(connection))
    context.body = []
    let result = server.handler(request)
    return process(result, context: context, connection: connection, server: server)
}

private func tooLarge(_ server: HTTPServer) -> HTTPResponse {
    HTTPResponse(status: 413, contentType: "text/plain",
                 text: "request body larger than \(server.configuration.maxBodySize) bytes\n")
}

func mhdRequestCompleted(_ cls: UnsafeMutableRawPointer?, _ connection: OpaquePointer?,
                         _ conCls: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
                         _ reason: MHD_RequestTerminationCode) {
    guard let conCls, let raw = conCls.pointee else { return }
    conCls.pointee = nil
    guard raw != mmcu_too_many_params() else { return }  // ended before the handler saw it
    let context = Unmanaged<RequestContext>.fromOpaque(raw).takeRetainedValue()
    if let cls {
        let server = Unmanaged<HTTPServer>.fromOpaque(cls).takeUnretainedValue()
        if let waiting = context.deferred { server.unregister(waiting) }  // ended while waiting for its answer
        if context.sendingDeferred { server.sentDeferred() }
    }
}
