import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The container tests' stand-in for a Spring Boot app: the health path (from health-path.txt, which
 * the test writes), /slow (answers after 2 s) and /heap (the JVM's maximum heap in bytes). Like
 * Spring's graceful shutdown (SERVER_SHUTDOWN=graceful), SIGTERM waits for requests in flight, up
 * to SPRING_LIFECYCLE_TIMEOUT_PER_SHUTDOWN_PHASE. TEST_IGNORE_SIGTERM=1 ignores SIGTERM instead.
 */
public final class Server {
  public static void main(String[] args) throws IOException {
    int port = Integer.parseInt(System.getenv("SERVER_PORT"));
    String healthPath;
    try (InputStream in = Server.class.getResourceAsStream("/health-path.txt")) {
      healthPath = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
    }
    String phase = System.getenv().getOrDefault("SPRING_LIFECYCLE_TIMEOUT_PER_SHUTDOWN_PHASE", "30s");
    long graceMillis = Long.parseLong(phase.replace("s", "")) * 1000;
    AtomicInteger inFlight = new AtomicInteger();
    HttpServer server = HttpServer.create(new InetSocketAddress("0.0.0.0", port), 0);
    server.setExecutor(Executors.newCachedThreadPool());
    server.createContext("/", exchange -> {
      inFlight.incrementAndGet();
      try {
        String path = exchange.getRequestURI().getPath();
        int status = 200;
        String body;
        if (path.equals(healthPath)) {
          body = "{\"status\":\"UP\"}";
        } else if (path.equals("/slow")) {
          Thread.sleep(2000);
          body = "slow done";
        } else if (path.equals("/heap")) {
          body = Long.toString(Runtime.getRuntime().maxMemory());
        } else {
          status = 404;
          body = "";
        }
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(bytes);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        inFlight.decrementAndGet();
      }
    });
    if ("1".equals(System.getenv("TEST_IGNORE_SIGTERM"))) {
      sun.misc.Signal.handle(new sun.misc.Signal("TERM"), signal -> System.err.println("test app: ignoring SIGTERM"));
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      long deadline = System.currentTimeMillis() + graceMillis;
      while (inFlight.get() > 0 && System.currentTimeMillis() < deadline) {
        try {
          Thread.sleep(50);
        } catch (InterruptedException e) {
          return;
        }
      }
      server.stop(0);
      System.err.println("test app: stopped");
    }));
    server.start();
    System.err.println("test app: listening on " + port);
  }
}
