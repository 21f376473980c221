package ajplb;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpSession;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.X509Certificate;
import java.util.Collections;

/**
 * The whole test webapp: one servlet that answers every endpoint the ajplb tests need, dispatching on the
 * servlet path. service() is overridden so that any method (PATCH, PROPFIND, LOCK...) reaches the handlers
 * instead of HttpServlet's 501.
 */
public class TestServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    /** The harness passes the Engine's jvmRoute as a system property; tests use it to see who answered. */
    static final String ROUTE = System.getProperty("ajplb.jvmRoute", "");

    /** Attributes Tomcat's AJP processor may set from FORWARD_REQUEST attributes. */
    private static final String[] AJP_ATTRIBUTES = {
        "jakarta.servlet.request.cipher_suite", "jakarta.servlet.request.key_size",
        "jakarta.servlet.request.ssl_session_id", "jakarta.servlet.request.secure_protocol",
        "org.apache.tomcat.util.net.secure_protocol_version", "AJP_SSL_PROTOCOL", "JK_LB_ACTIVATION",
        "AJP_REMOTE_PORT", "AJP_LOCAL_ADDR",
    };

    /** Adds X-Route to every response of the context, static files and JSPs included. */
    public static class RouteFilter implements Filter {
        @Override
        public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain)
                throws IOException, ServletException {
            ((HttpServletResponse) res).setHeader("X-Route", ROUTE);
            chain.doFilter(req, res);
        }
    }

    /**
     * The harness keeps the JVM's stdin as a pipe it never writes to; EOF means the test process is gone
     * (even if killed by a signal), so nothing is left to stop this Tomcat: halt instead of leaking it.
     */
    @Override
    public void init() {
        if (!Boolean.getBoolean("ajplb.exitWithParent")) return;
        Thread watch = new Thread(() -> {
            try {
                while (System.in.read() != -1) {
                    // nothing is ever written
                }
            } catch (IOException e) {
                // treat as EOF
            }
            Runtime.getRuntime().halt(137);
        }, "ajplb-exit-with-parent");
        watch.setDaemon(true);
        watch.start();
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse res) throws IOException {
        switch (req.getServletPath()) {
            case "/echo": echo(req, res); break;
            case "/upload": upload(req, res); break;
            case "/status": status(req, res); break;
            case "/bytes": bytes(req, res); break;
            case "/cookies": cookies(req, res); break;
            case "/slow": slow(req, res); break;
            case "/hang": hang(req, res); break;
            case "/session": session(req, res); break;
            case "/headers-many": headersMany(req, res); break;
            default: res.sendError(404);
        }
    }

    private void echo(HttpServletRequest req, HttpServletResponse res) throws IOException {
        Json j = new Json();
        j.field("method", req.getMethod()).field("requestURI", req.getRequestURI())
            .field("queryString", req.getQueryString()).field("protocol", req.getProtocol())
            .field("characterEncoding", req.getCharacterEncoding());
        j.key("headers").open('{');
        for (String name : Collections.list(req.getHeaderNames())) {
            j.key(name).open('[');
            for (String v : Collections.list(req.getHeaders(name))) j.value(v);
            j.close(']');
        }
        j.close('}');
        j.field("remoteAddr", req.getRemoteAddr()).field("remoteHost", req.getRemoteHost())
            .field("remotePort", req.getRemotePort()).field("localAddr", req.getLocalAddr())
            .field("localName", req.getLocalName()).field("localPort", req.getLocalPort())
            .field("serverName", req.getServerName()).field("serverPort", req.getServerPort())
            .field("scheme", req.getScheme()).field("isSecure", req.isSecure())
            .field("remoteUser", req.getRemoteUser()).field("authType", req.getAuthType())
            .field("contentLength", req.getContentLengthLong()).field("contentType", req.getContentType());
        j.key("attributes").open('{');
        for (String name : AJP_ATTRIBUTES) {
            Object v = req.getAttribute(name);
            if (v != null) j.field(name, String.valueOf(v));
        }
        j.close('}');
        Object certs = req.getAttribute("jakarta.servlet.request.X509Certificate");
        j.key("certificates").open('[');
        if (certs instanceof X509Certificate[]) {
            for (X509Certificate c : (X509Certificate[]) certs) j.value(c.getSubjectX500Principal().getName());
        }
        j.close(']');
        j.key("attributeNames").open('[');
        for (String name : Collections.list(req.getAttributeNames())) j.value(name);
        j.close(']');
        String query = req.getQueryString();
        if (query != null && query.contains("param=")) {
            // Parameters decode with the request encoding, so set it before the first getParameter. A form
            // body is consumed by this: its digest then covers 0 bytes.
            if (req.getCharacterEncoding() == null) req.setCharacterEncoding("UTF-8");
            String param = req.getParameter("param");
            j.field("param", param).field("paramValue", param == null ? null : req.getParameter(param));
        }
        bodyDigest(req, j, Long.MAX_VALUE);
        send(res, 200, j);
    }

    /** ?atMost=N: stop reading once N bytes are in, as an application that answers before the body ends. */
    private void upload(HttpServletRequest req, HttpServletResponse res) throws IOException {
        Json j = new Json().field("method", req.getMethod());
        bodyDigest(req, j, longParam(req, "atMost", Long.MAX_VALUE));
        send(res, 200, j);
    }

    private void status(HttpServletRequest req, HttpServletResponse res) throws IOException {
        int code = intParam(req, "code", 200);
        res.setStatus(code);
        res.setContentType("text/plain");
        // ?h=Name:value (repeatable): headers to answer with, e.g. the validators of a 304.
        String[] extra = req.getParameterValues("h");
        if (extra != null) {
            for (String h : extra) {
                int colon = h.indexOf(':');
                if (colon > 0) res.addHeader(h.substring(0, colon), h.substring(colon + 1));
            }
        }
        // For 204/304 this body must be dropped by Tomcat; the tests check it never reaches the client.
        res.getWriter().print("status " + code + " body\n");
    }

    private void bytes(HttpServletRequest req, HttpServletResponse res) throws IOException {
        long size = longParam(req, "size", 0);
        int chunk = intParam(req, "chunk", 8192);
        boolean explicitChunks = req.getParameter("chunk") != null;
        res.setContentType("application/octet-stream");
        if ("1".equals(req.getParameter("cl"))) res.setContentLengthLong(size);
        // Committing now stops Tomcat from adding a Content-Length when everything fits in its buffer.
        else res.flushBuffer();
        OutputStream out = res.getOutputStream();
        byte[] buf = new byte[Math.max(1, chunk)];
        for (long i = 0; i < size; ) {
            int n = (int) Math.min(buf.length, size - i);
            for (int k = 0; k < n; k++) buf[k] = (byte) (((i + k) * 31 + 7) & 0xff);
            out.write(buf, 0, n);
            if (explicitChunks) out.flush();
            i += n;
        }
    }

    private void cookies(HttpServletRequest req, HttpServletResponse res) throws IOException {
        int n = intParam(req, "n", 3);
        for (int i = 1; i <= n; i++) res.addHeader("Set-Cookie", "c" + i + "=v" + i + "; Path=/");
        send(res, 200, new Json().field("cookies", n));
    }

    private void slow(HttpServletRequest req, HttpServletResponse res) throws IOException {
        long ms = longParam(req, "ms", 1000);
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        send(res, 200, new Json().field("slept", ms));
    }

    /** Holds the request without a thread until the 60 s async timeout, then answers 504. */
    private void hang(HttpServletRequest req, HttpServletResponse res) {
        AsyncContext ctx = req.startAsync();
        ctx.setTimeout(60_000);
        ctx.addListener(new AsyncListener() {
            @Override public void onTimeout(AsyncEvent e) throws IOException {
                ((HttpServletResponse) e.getSuppliedResponse()).setStatus(504);
                ctx.complete();
            }
            @Override public void onError(AsyncEvent e) { ctx.complete(); }
            @Override public void onComplete(AsyncEvent e) { }
            @Override public void onStartAsync(AsyncEvent e) { }
        });
    }

    private void session(HttpServletRequest req, HttpServletResponse res) throws IOException {
        HttpSession s = req.getSession(true);
        Integer count = (Integer) s.getAttribute("count");
        count = count == null ? 1 : count + 1;
        s.setAttribute("count", count);
        send(res, 200, new Json().field("sessionId", s.getId()).field("count", count).field("route", ROUTE)
            .field("isNew", s.isNew()));
    }

    private void headersMany(HttpServletRequest req, HttpServletResponse res) throws IOException {
        int n = intParam(req, "n", 50);
        for (int i = 0; i < n; i++) res.addHeader("X-Many-" + i, "value-" + i);
        send(res, 200, new Json().field("headers", n));
    }

    private static void bodyDigest(HttpServletRequest req, Json j, long atMost) throws IOException {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IOException(e);
        }
        long length = 0;
        byte[] buf = new byte[65536];
        InputStream in = req.getInputStream();
        for (int n; length < atMost && (n = in.read(buf)) != -1; length += n) sha.update(buf, 0, n);
        StringBuilder hex = new StringBuilder();
        for (byte b : sha.digest()) hex.append(String.format("%02x", b));
        j.field("bodyLength", length).field("bodySha256", hex.toString());
    }

    private static void send(HttpServletResponse res, int status, Json j) throws IOException {
        res.setStatus(status);
        res.setContentType("application/json;charset=UTF-8");
        res.getOutputStream().write(j.finish().getBytes(StandardCharsets.UTF_8));
    }

    private static int intParam(HttpServletRequest req, String name, int dflt) {
        String v = req.getParameter(name);
        return v == null ? dflt : Integer.parseInt(v);
    }

    private static long longParam(HttpServletRequest req, String name, long dflt) {
        String v = req.getParameter(name);
        return v == null ? dflt : Long.parseLong(v);
    }

    /** Just enough of a JSON writer for flat objects with nested arrays/objects under keys. */
    static final class Json {
        private final StringBuilder sb = new StringBuilder("{");
        private boolean needComma = false;

        Json key(String k) {
            if (needComma) sb.append(',');
            quote(k);
            sb.append(':');
            needComma = false;
            return this;
        }

        Json field(String k, Object v) {
            return key(k).value(v);
        }

        Json value(Object v) {
            if (needComma) sb.append(',');
            if (v == null) sb.append("null");
            else if (v instanceof Number || v instanceof Boolean) sb.append(v);
            else quote(v.toString());
            needComma = true;
            return this;
        }

        Json open(char c) {
            sb.append(c);
            needComma = false;
            return this;
        }

        Json close(char c) {
            sb.append(c);
            needComma = true;
            return this;
        }

        String finish() {
            return sb.append('}').toString();
        }

        private void quote(String s) {
            sb.append('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c == '"' || c == '\\') sb.append('\\').append(c);
                else if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
                else sb.append(c);
            }
            sb.append('"');
        }
    }
}
