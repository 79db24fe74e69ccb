package io.streamrank.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

/**
 * The few calls of Flink's REST API that deploying a job needs: upload a jar ({@code POST
 * /jars/upload}), run it ({@code POST /jars/:id/run}), read a job's state and restarts, stop it
 * with a savepoint, cancel it. Errors carry the status code and Flink's own error text.
 */
public final class FlinkRestClient {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);

  private final URI base;
  private final HttpClient http;

  /**
   * @param base the REST endpoint, e.g. {@code http://127.0.0.1:8081}
   */
  public FlinkRestClient(URI base) {
    this.base = base;
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  }

  /** The REST endpoint this client talks to. */
  public URI base() {
    return base;
  }

  /** {@code GET /overview}: task managers, slots and jobs of the cluster. */
  public JsonNode overview() throws IOException, InterruptedException {
    return get("/overview");
  }

  /** {@code GET /taskmanagers}: the registered TaskManagers, each with its {@code id}. */
  public JsonNode taskManagers() throws IOException, InterruptedException {
    return get("/taskmanagers").path("taskmanagers");
  }

  /**
   * Uploads a job jar.
   *
   * @return the jar id that {@link #run} takes
   */
  public String uploadJar(Path jar) throws IOException, InterruptedException {
    String boundary = "streamrank-" + UUID.randomUUID();
    String head =
        "--"
            + boundary
            + "\r\nContent-Disposition: form-data; name=\"jarfile\"; filename=\""
            + jar.getFileName()
            + "\"\r\nContent-Type: application/x-java-archive\r\n\r\n";
    String tail = "\r\n--" + boundary + "--\r\n";
    HttpRequest request =
        HttpRequest.newBuilder(base.resolve("/jars/upload"))
            .timeout(REQUEST_TIMEOUT)
            .header("Content-Type", "multipart/form-data; boundary=" + boundary)
            .POST(
                HttpRequest.BodyPublishers.concat(
                    HttpRequest.BodyPublishers.ofString(head),
                    HttpRequest.BodyPublishers.ofFile(jar),
                    HttpRequest.BodyPublishers.ofString(tail)))
            .build();
    JsonNode reply = send(request, "upload " + jar);
    String file = reply.path("filename").asText("");
    if (file.isEmpty()) {
      throw new IOException("jar upload answered without a filename: " + reply);
    }
    return Path.of(file).getFileName().toString();
  }

  /**
   * Runs an uploaded jar's entry class with program arguments.
   *
   * @param savepointPath the savepoint to restore from, or null for a fresh start
   * @return the job id
   */
  public String run(
      String jarId, String entryClass, List<String> args, int parallelism, String savepointPath)
      throws IOException, InterruptedException {
    ObjectNode body = JSON.createObjectNode();
    body.put("entryClass", entryClass);
    var programArgs = body.putArray("programArgsList");
    args.forEach(programArgs::add);
    body.put("parallelism", parallelism);
    if (savepointPath != null) {
      body.put("savepointPath", savepointPath);
    }
    JsonNode reply = post("/jars/" + jarId + "/run", body);
    String jobId = reply.path("jobid").asText("");
    if (jobId.isEmpty()) {
      throw new IOException("run of jar " + jarId + " answered without a job id: " + reply);
    }
    return jobId;
  }

  /** {@code GET /jobs/overview}: every job with its {@code jid}, {@code name} and {@code state}. */
  public JsonNode jobs() throws IOException, InterruptedException {
    return get("/jobs/overview").path("jobs");
  }

  /** {@code GET /jobs/:id}: the job's details; {@code state} is RUNNING, FAILED, ... */
  public JsonNode job(String jobId) throws IOException, InterruptedException {
    return get("/jobs/" + jobId);
  }

  /** The job's state (RUNNING, RESTARTING, FAILED, ...). */
  public String jobState(String jobId) throws IOException, InterruptedException {
    return job(jobId).path("state").asText();
  }

  /**
   * The failures the job has recovered from or is recovering from: the entries of its exception
   * history ({@code GET /jobs/:id/exceptions}), newest first, each with its {@code exceptionName},
   * {@code taskManagerId} (where known) and {@code stacktrace}.
   */
  public JsonNode failures(String jobId) throws IOException, InterruptedException {
    return exceptions(jobId).path("exceptionHistory").path("entries");
  }

  /** When the job last began restarting (epoch ms), 0 if it never has. */
  public long lastRestart(String jobId) throws IOException, InterruptedException {
    return job(jobId).path("timestamps").path("RESTARTING").asLong(0);
  }

  /** How many checkpoints of the job have completed. */
  public long completedCheckpoints(String jobId) throws IOException, InterruptedException {
    return get("/jobs/" + jobId + "/checkpoints").path("counts").path("completed").asLong(0);
  }

  /** {@code GET /jobs/:id/exceptions}: the root exception and the failure history. */
  public JsonNode exceptions(String jobId) throws IOException, InterruptedException {
    return get("/jobs/" + jobId + "/exceptions");
  }

  /**
   * Stops the job with a savepoint and waits for it.
   *
   * @return the savepoint's location
   */
  public String stopWithSavepoint(String jobId, Duration timeout)
      throws IOException, InterruptedException {
    ObjectNode body = JSON.createObjectNode();
    body.put("drain", false);
    String trigger = post("/jobs/" + jobId + "/stop", body).path("request-id").asText();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      JsonNode status = get("/jobs/" + jobId + "/savepoints/" + trigger);
      if ("COMPLETED".equals(status.path("status").path("id").asText())) {
        JsonNode op = status.path("operation");
        if (op.has("failure-cause")) {
          throw new IOException("stop-with-savepoint of " + jobId + " failed: " + op);
        }
        return op.path("location").asText();
      }
      Thread.sleep(200);
    }
    throw new IOException("stop-with-savepoint of " + jobId + " did not finish in " + timeout);
  }

  /** Cancels the job (no savepoint). */
  public void cancel(String jobId) throws IOException, InterruptedException {
    send(
        HttpRequest.newBuilder(base.resolve("/jobs/" + jobId + "?mode=cancel"))
            .timeout(REQUEST_TIMEOUT)
            .method("PATCH", HttpRequest.BodyPublishers.noBody())
            .build(),
        "cancel " + jobId);
  }

  private JsonNode get(String path) throws IOException, InterruptedException {
    return send(
        HttpRequest.newBuilder(base.resolve(path)).timeout(REQUEST_TIMEOUT).GET().build(),
        "GET " + path);
  }

  private JsonNode post(String path, JsonNode body) throws IOException, InterruptedException {
    return send(
        HttpRequest.newBuilder(base.resolve(path))
            .timeout(REQUEST_TIMEOUT)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)))
            .build(),
        "POST " + path);
  }

  private JsonNode send(HttpRequest request, String what) throws IOException, InterruptedException {
    HttpResponse<String> response =
        http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    if (response.statusCode() / 100 != 2) {
      throw new IOException(
          what + " at " + base + " answered " + response.statusCode() + ": " + response.body());
    }
    String text = response.body();
    return text == null || text.isBlank() ? JSON.createObjectNode() : JSON.readTree(text);
  }
}
