<%@ page contentType="application/json;charset=UTF-8" session="true" %><%
    // The seed's session-clustering check (seeds/000), answering JSON instead of HTML.
    Integer count = (Integer) session.getAttribute("count");
    count = count == null ? 1 : count + 1;
    session.setAttribute("count", count);
    String route = System.getProperty("ajplb.jvmRoute", "");
%>{"sessionId":"<%= session.getId() %>","count":<%= count %>,"route":"<%= route %>","isNew":<%= session.isNew() %>,"jsp":true}
