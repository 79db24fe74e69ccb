package io.streamrank.model.features;

import io.streamrank.datasets.Rating;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * A fixed table of movie vectors for the fold-in correction ({@link
 * StreamingFeatures#foldInCorrection}): each user's vector is fitted online against these vectors,
 * and a request's correction is the rated movie's vector times the user's. Fitted once by
 * alternating least squares on a training window ({@link #fit}) and then never changed: the users'
 * state is accumulated against it, so a new table means new state.
 *
 * <p>Stored as a small binary file ({@link #toBytes}, {@link #read}): a magic number, the format
 * version, the dimension, the user-vector ridge, the movie count, then each movie id and its
 * vector. {@link #sha256} names a table in logs and reports.
 */
public final class FoldInTable implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final int MAGIC = 0x53524654; // "SRFT"
  private static final int FORMAT = 1;
  private static final int MAX_DIM = 64;

  private final int dim;
  private final float ridge;
  private final long[] movieIds;
  private final float[] vectors;

  /**
   * @param dim the vectors' dimension, 1 to {@value #MAX_DIM}
   * @param ridge the ridge on each user vector's components, {@code > 0}
   * @param movieIds the movies, ascending, no duplicates
   * @param vectors their vectors, {@code dim} values per movie in {@code movieIds}' order
   */
  public FoldInTable(int dim, float ridge, long[] movieIds, float[] vectors) {
    if (dim < 1 || dim > MAX_DIM) {
      throw new IllegalArgumentException(
          "fold-in table dimension must be 1 to " + MAX_DIM + ", got " + dim);
    }
    if (!(ridge > 0) || !Float.isFinite(ridge)) {
      throw new IllegalArgumentException("fold-in ridge must be > 0 and finite, got " + ridge);
    }
    if (vectors.length != (long) movieIds.length * dim) {
      throw new IllegalArgumentException(
          "fold-in table has "
              + movieIds.length
              + " movies of dimension "
              + dim
              + " but "
              + vectors.length
              + " values");
    }
    for (int i = 1; i < movieIds.length; i++) {
      if (movieIds[i] <= movieIds[i - 1]) {
        throw new IllegalArgumentException(
            "fold-in table movie ids must ascend without duplicates, got "
                + movieIds[i - 1]
                + " before "
                + movieIds[i]);
      }
    }
    for (float v : vectors) {
      if (!Float.isFinite(v)) {
        throw new IllegalArgumentException("fold-in table holds a non-finite value: " + v);
      }
    }
    this.dim = dim;
    this.ridge = ridge;
    this.movieIds = movieIds.clone();
    this.vectors = vectors.clone();
  }

  /** The vectors' dimension. */
  public int dim() {
    return dim;
  }

  /** The ridge on each user vector's components. */
  public float ridge() {
    return ridge;
  }

  /** How many movies have a vector. */
  public int size() {
    return movieIds.length;
  }

  /** A copy of the movie's vector, or null when it has none. */
  public float[] vector(long movieId) {
    int i = Arrays.binarySearch(movieIds, movieId);
    return i < 0 ? null : Arrays.copyOfRange(vectors, i * dim, (i + 1) * dim);
  }

  /**
   * Fits movie vectors by alternating least squares on ratings minus their mean: user and movie
   * vectors in turn, each a ridge regression (penalty {@code alsLambda}) on the other side's.
   *
   * @param ratings the training window
   * @param dim the dimension
   * @param alsLambda the ridge of the fit
   * @param iterations alternations
   * @param ridge the ridge for the users' online fold-in (stored with the table)
   * @param seed of the initial vectors
   */
  public static FoldInTable fit(
      List<Rating> ratings, int dim, float alsLambda, int iterations, float ridge, long seed) {
    if (ratings.isEmpty()) {
      throw new IllegalArgumentException("cannot fit a fold-in table on no ratings");
    }
    double mean = ratings.stream().mapToDouble(Rating::rating).average().orElseThrow();
    Map<Long, List<Rating>> byUser = new TreeMap<>();
    Map<Long, List<Rating>> byMovie = new TreeMap<>();
    for (Rating r : ratings) {
      byUser.computeIfAbsent(r.userId(), u -> new ArrayList<>()).add(r);
      byMovie.computeIfAbsent(r.movieId(), m -> new ArrayList<>()).add(r);
    }
    Random random = new Random(seed);
    Map<Long, double[]> users = new TreeMap<>();
    Map<Long, double[]> movies = new TreeMap<>();
    byUser.keySet().forEach(u -> users.put(u, random.doubles(dim, -0.1, 0.1).toArray()));
    byMovie.keySet().forEach(m -> movies.put(m, random.doubles(dim, -0.1, 0.1).toArray()));
    for (int it = 0; it < iterations; it++) {
      solveSide(byUser, movies, users, mean, dim, alsLambda, true);
      solveSide(byMovie, users, movies, mean, dim, alsLambda, false);
    }
    long[] ids = new long[movies.size()];
    float[] vectors = new float[movies.size() * dim];
    int i = 0;
    for (Map.Entry<Long, double[]> e : movies.entrySet()) {
      ids[i] = e.getKey();
      for (int j = 0; j < dim; j++) {
        vectors[i * dim + j] = (float) e.getValue()[j];
      }
      i++;
    }
    return new FoldInTable(dim, ridge, ids, vectors);
  }

  private static void solveSide(
      Map<Long, List<Rating>> groups,
      Map<Long, double[]> fixed,
      Map<Long, double[]> solved,
      double mean,
      int dim,
      double lambda,
      boolean users) {
    for (Map.Entry<Long, List<Rating>> e : groups.entrySet()) {
      double[][] a = new double[dim][dim + 1];
      for (Rating r : e.getValue()) {
        double[] f = fixed.get(users ? r.movieId() : r.userId());
        for (int i = 0; i < dim; i++) {
          for (int j = 0; j < dim; j++) {
            a[i][j] += f[i] * f[j];
          }
          a[i][dim] += f[i] * (r.rating() - mean);
        }
      }
      for (int i = 0; i < dim; i++) {
        a[i][i] += lambda;
      }
      solved.put(e.getKey(), solve(a));
    }
  }

  /**
   * Solves the linear system in {@code a} ({@code n} rows of {@code n} coefficients and the right
   * side) by Gaussian elimination with partial pivoting; changes {@code a}.
   */
  static double[] solve(double[][] a) {
    int n = a.length;
    for (int c = 0; c < n; c++) {
      int p = c;
      for (int r = c + 1; r < n; r++) {
        if (Math.abs(a[r][c]) > Math.abs(a[p][c])) {
          p = r;
        }
      }
      double[] swap = a[c];
      a[c] = a[p];
      a[p] = swap;
      for (int r = c + 1; r < n; r++) {
        double f = a[r][c] / a[c][c];
        for (int j = c; j <= n; j++) {
          a[r][j] -= f * a[c][j];
        }
      }
    }
    double[] x = new double[n];
    for (int r = n - 1; r >= 0; r--) {
      double s = a[r][n];
      for (int j = r + 1; j < n; j++) {
        s -= a[r][j] * x[j];
      }
      x[r] = s / a[r][r];
    }
    return x;
  }

  /** The table in its file format. */
  public byte[] toBytes() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeInt(MAGIC);
      out.writeInt(FORMAT);
      out.writeInt(dim);
      out.writeFloat(ridge);
      out.writeInt(movieIds.length);
      for (int i = 0; i < movieIds.length; i++) {
        out.writeLong(movieIds[i]);
        for (int j = 0; j < dim; j++) {
          out.writeFloat(vectors[i * dim + j]);
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("writing to memory failed", e);
    }
    return bytes.toByteArray();
  }

  /** The sha256 of {@link #toBytes}, lower-case hex. */
  public String sha256() {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(toBytes()));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JVM has no SHA-256", e);
    }
  }

  /**
   * Reads a table in its file format.
   *
   * @param in the bytes, read to the end
   * @param source names the file in errors
   * @throws IOException when the bytes are not a fold-in table, with {@code source} and the reason
   */
  public static FoldInTable read(InputStream in, String source) throws IOException {
    DataInputStream data = new DataInputStream(in);
    try {
      int magic = data.readInt();
      if (magic != MAGIC) {
        throw new IOException(source + " is not a fold-in table (no SRFT header)");
      }
      int format = data.readInt();
      if (format != FORMAT) {
        throw new IOException(
            source + " is a fold-in table of format " + format + ", expected " + FORMAT);
      }
      int dim = data.readInt();
      float ridge = data.readFloat();
      int n = data.readInt();
      if (dim < 1 || dim > MAX_DIM || n < 0 || (long) n * dim > 100_000_000L) {
        throw new IOException(
            source
                + " has an impossible fold-in table header: dimension "
                + dim
                + ", "
                + n
                + " movies");
      }
      long[] ids = new long[n];
      float[] vectors = new float[n * dim];
      for (int i = 0; i < n; i++) {
        ids[i] = data.readLong();
        for (int j = 0; j < dim; j++) {
          vectors[i * dim + j] = data.readFloat();
        }
      }
      if (data.read() != -1) {
        throw new IOException(source + " has bytes after its " + n + " fold-in vectors");
      }
      return new FoldInTable(dim, ridge, ids, vectors);
    } catch (EOFException e) {
      throw new IOException(source + " ends inside its fold-in table (truncated)", e);
    } catch (IllegalArgumentException e) {
      throw new IOException(source + " is not a valid fold-in table: " + e.getMessage(), e);
    }
  }
}
