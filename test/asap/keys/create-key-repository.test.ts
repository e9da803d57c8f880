import path from "node:path";
import { describe, expect, it } from "vitest";
import { ChainedKeyRepository } from "../../../src/asap/keys/chained-repository.js";
import {
  createKeyRepository,
  KeyRepositoryConfigError,
} from "../../../src/asap/keys/create-key-repository.js";
import { FileKeyRepository } from "../../../src/asap/keys/file-repository.js";
import { HttpsKeyRepository } from "../../../src/asap/keys/https-repository.js";

describe("createKeyRepository", () => {
  it("builds a directory repository from a relative path", () => {
    const repository = createKeyRepository("keys/public", { baseDir: "/srv/app" });
    expect([
      repository instanceof FileKeyRepository,
      (repository as FileKeyRepository).dir,
    ]).toEqual([true, path.resolve("/srv/app/keys/public")]);
  });

  it("builds an HTTPS repository from an https URL", () => {
    const repository = createKeyRepository("https://keys.example.com/");
    expect((repository as HttpsKeyRepository).baseUrl.href).toBe("https://keys.example.com/");
  });

  it("chains several whitespace-separated entries in order", () => {
    const repository = createKeyRepository(
      " https://a.example.com/keys\n  https://b.example.com/\t/etc/asap ",
    );
    const members = (repository as ChainedKeyRepository).repositories;
    expect(
      members.map((m) =>
        m instanceof HttpsKeyRepository ? m.baseUrl.href : (m as FileKeyRepository).dir,
      ),
    ).toEqual(["https://a.example.com/keys/", "https://b.example.com/", "/etc/asap"]);
  });

  it("refuses a plain http URL", () => {
    expect(() => createKeyRepository("https://a.example.com/ http://b.example.com/")).toThrow(
      /must be an https/,
    );
  });

  it("refuses other URL schemes", () => {
    expect(() => createKeyRepository("ftp://keys.example.com/")).toThrow(KeyRepositoryConfigError);
  });

  it("refuses URLs carrying credentials", () => {
    expect(() => createKeyRepository("https://user:secret@keys.example.com/")).toThrow(
      /credentials/,
    );
  });

  it("refuses an empty value", () => {
    expect(() => createKeyRepository("   ")).toThrow(KeyRepositoryConfigError);
  });

  it("gives its errors a stable code", () => {
    try {
      createKeyRepository("http://x/");
      expect.unreachable();
    } catch (error) {
      expect((error as KeyRepositoryConfigError).code).toBe("invalid_key_repository");
    }
  });

  it("is a ChainedKeyRepository for several entries", () => {
    expect(createKeyRepository("a b")).toBeInstanceOf(ChainedKeyRepository);
  });
});
