<%@ page contentType="text/plain;charset=UTF-8" session="false" %>ajplb test webapp on <%= System.getProperty("ajplb.jvmRoute", "") %>
