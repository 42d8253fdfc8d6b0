CREATE TABLE "github_apps" (
	"id" integer PRIMARY KEY NOT NULL,
	"app_id" bigint NOT NULL,
	"slug" text NOT NULL,
	"name" text NOT NULL,
	"owner" text,
	"html_url" text NOT NULL,
	"api_url" text NOT NULL,
	"client_id" text NOT NULL,
	"sealed_secrets" text NOT NULL,
	"connected_at" timestamp with time zone DEFAULT now() NOT NULL
);
